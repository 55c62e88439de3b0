"""The cycle's steps, one module each, each a function `(store, config, ports, now)`:
clock (a jumped clock healed), intake (channels → cases), answers (mail → answers), decisions
(the ledger → the workflow), outgoing (effects → outbox → the world), reminders (п. 4.1, 4.2),
retention (raw copies past their period), report, purge."""
