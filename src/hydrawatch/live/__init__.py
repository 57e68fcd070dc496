"""Live events: the append-only spool, the online returnee matcher as a server holds it, and
the event pipeline behind ``POST /api/v1/events``."""
