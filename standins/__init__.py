"""Local stand-ins for outside servers (SMTP, IMAP, EWS) used by `run.py demo` and by tests."""
