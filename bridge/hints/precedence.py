"""Which policy a message gets when several apply: the first applying row of this table.

An administrator reviews the order here; each row says why it stands where it does.
"""

from __future__ import annotations

from bridge.hints.harm import check_obscene, check_threat
from bridge.hints.reasons import check_bypass_law, check_court_appeal, check_out_of_competence
from bridge.hints.rules import Rule, check_informational, check_noise, check_spam

# (policy, rule) — first match wins; 'normal' when none applies.
PRECEDENCE: tuple[tuple[str, Rule], ...] = (
    # A threat (п. 3.6) outweighs everything: the case is not processed and may need the police.
    ("threat", Rule("threat", "угроза жизни, здоровью, имуществу; намерение причинить вред",
                    check_threat)),
    # Obscene or insulting language (п. 3.6): not processed, however legitimate the question.
    ("obscene", Rule("obscene", "нецензурные или оскорбительные выражения", check_obscene)),
    # Advertising and spam: nothing to answer, even when it names a bank or a loan.
    ("noise", Rule("spam", "реклама или спам", check_spam)),
    # Appeals against court acts (п. 3.7): an explanation of the appeal procedure, whatever the topic.
    ("court_appeal", Rule("court_appeal", "обжалование судебных актов", check_court_appeal)),
    # Requests to bypass the law (п. 3.7): an explanation, even if the topic is a municipal one.
    ("bypass_law", Rule("bypass_law", "требование действий в обход закона", check_bypass_law)),
    # Outside municipal competence (п. 3.7): explanation naming the competent body.
    ("out_of_competence", Rule("out_of_competence", "вопрос не относится к компетенции ОМСУ",
                               check_out_of_competence)),
    # Questions of general interest (п. 3.5): answered and also published on the site.
    ("informational", Rule("informational", "информационный вопрос для всех", check_informational)),
    # Thanks, greetings, emoji, spam: nothing to route; last, so any real question beats it.
    ("noise", Rule("noise", "благодарность, приветствие, эмодзи или спам", check_noise)),
)
POLICIES = ("normal", *dict.fromkeys(policy for policy, _ in PRECEDENCE))
# п. 3.6: «не подлежат обработке и ответу»
NOT_PROCESSED = frozenset({"threat", "obscene"})
