"""The staff console's data: reports, charts and CSV built from the database and the
knowledge base. Pure library code: no web server and no Telegram here."""
