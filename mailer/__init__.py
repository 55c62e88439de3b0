"""Mail transports: SMTP, IMAP and Exchange adapters (the only modules that import mail libraries)."""
