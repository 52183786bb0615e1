"""Help requests and the volunteer queue: intake, storage, claims and notifications.

Plain Python over the storage layer; the Telegram layer renders and sends what it decides.
"""
