"""The pure core: what a case is and what may happen to it, with no I/O, no clock and no
environment — model, vocabulary, worktime, deadlines, workflow, figures, errors."""
