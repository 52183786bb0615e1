"""The schema, as an ordered list of migrations. `PRAGMA user_version` records how far a file is.

Never edit a migration that has shipped: add a new one. Times are Unix seconds (UTC).
"""

from __future__ import annotations

MIGRATIONS: list[list[str]] = [
    # 1: residents, the durable update inbox, questions for staff, feedback, settings.
    [
        """CREATE TABLE residents (
            user_id INTEGER PRIMARY KEY,
            municipality TEXT,
            language TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        )""",
        """CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,
            payload TEXT,
            received_at INTEGER NOT NULL,
            processed_at INTEGER
        )""",
        "CREATE INDEX inbox_pending ON inbox (processed_at) WHERE processed_at IS NULL",
        """CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER,
            municipality TEXT,
            language TEXT NOT NULL,
            text TEXT,
            outcome TEXT NOT NULL,
            asked_at INTEGER NOT NULL,
            sent_to_staff_at INTEGER,
            staff_chat_id INTEGER,
            staff_message_id INTEGER,
            answered_at INTEGER
        )""",
        "CREATE INDEX questions_staff_message ON questions (staff_chat_id, staff_message_id)",
        "CREATE INDEX questions_asked ON questions (asked_at)",
        """CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            entry_id TEXT NOT NULL,
            municipality TEXT,
            language TEXT,
            helpful INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        )""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
    # 2: help requests, volunteers, conversations in progress, and the outbox.
    [
        """CREATE TABLE help_requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ref TEXT NOT NULL UNIQUE,
            resident_id INTEGER,
            resident_name TEXT,
            resident_username TEXT,
            municipality TEXT,
            language TEXT NOT NULL,
            category TEXT NOT NULL,
            description TEXT,
            area TEXT,
            timing TEXT NOT NULL,
            contact_method TEXT NOT NULL,
            phone TEXT,
            state TEXT NOT NULL,
            volunteer_id INTEGER,
            group_chat_id INTEGER,
            group_message_id INTEGER,
            created_at INTEGER NOT NULL,
            claimed_at INTEGER,
            closed_at INTEGER,
            closed_by TEXT,
            escalated_at INTEGER,
            erased_at INTEGER
        )""",
        # References start at 1001, so they never look like a date or a short code.
        "INSERT INTO sqlite_sequence (name, seq) VALUES ('help_requests', 1000)",
        "CREATE INDEX help_requests_state ON help_requests (state, created_at)",
        "CREATE INDEX help_requests_resident ON help_requests (resident_id)",
        """CREATE TABLE volunteers (
            user_id INTEGER PRIMARY KEY,
            name TEXT,
            area TEXT,
            skills TEXT,
            phone TEXT,
            language TEXT,
            state TEXT NOT NULL,
            confidentiality_accepted_at INTEGER,
            registered_at INTEGER NOT NULL,
            decided_at INTEGER,
            decided_by INTEGER
        )""",
        """CREATE TABLE conversations (
            user_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            step TEXT NOT NULL,
            data TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        )""",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            chat_id INTEGER,
            request_id INTEGER,
            payload TEXT,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before REAL NOT NULL,
            message_id INTEGER,
            created_at INTEGER NOT NULL,
            sent_at INTEGER,
            last_error TEXT
        )""",
        "CREATE INDEX outbox_due ON outbox (state, not_before)",
    ],
    # 3: the question behind each answer, so feedback counts once per answer and a 👎 can
    # hand that very question to staff.
    [
        "ALTER TABLE questions ADD COLUMN entry_id TEXT",
        "ALTER TABLE feedback ADD COLUMN question_id INTEGER",
        """CREATE UNIQUE INDEX feedback_per_question ON feedback (question_id)
           WHERE question_id IS NOT NULL""",
    ],
    # 4: the staff answer's message in the resident's chat, so a reply to it goes back to
    # staff in the same thread.
    [
        "ALTER TABLE questions ADD COLUMN answer_message_id INTEGER",
        "CREATE INDEX questions_answer ON questions (user_id, answer_message_id)",
    ],
    # 5: the update a question came in and the bot's reply to it: the reply's commit marks
    # the update done, and an update handled again after a crash keeps its one question.
    [
        "ALTER TABLE questions ADD COLUMN update_id INTEGER",
        "ALTER TABLE questions ADD COLUMN reply_message_id INTEGER",
        """CREATE UNIQUE INDEX questions_per_update ON questions (update_id)
           WHERE update_id IS NOT NULL""",
    ],
    # 6: the language last used with each resident, apart from the one they chose. /start
    # used to store the app's language as if chosen, and a choice did not beat the language
    # a message was written in: what is stored so far becomes the last used one.
    [
        "ALTER TABLE residents ADD COLUMN last_language TEXT",
        "UPDATE residents SET last_language = language, language = NULL",
    ],
    # 7: the staff console: one-time sign-in links and sessions (hashes of their tokens, never
    # the tokens), the audit log of staff actions, unanswered groups marked handled, and an
    # index for the overview.
    [
        """CREATE TABLE console_links (
            token_hash TEXT PRIMARY KEY,
            staff_id INTEGER NOT NULL,
            staff_name TEXT,
            language TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER
        )""",
        """CREATE TABLE console_sessions (
            token_hash TEXT PRIMARY KEY,
            staff_id INTEGER NOT NULL,
            staff_name TEXT,
            language TEXT NOT NULL,
            csrf TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        )""",
        "CREATE INDEX console_sessions_staff ON console_sessions (staff_id)",
        """CREATE TABLE console_audit (
            id INTEGER PRIMARY KEY,
            staff_id INTEGER NOT NULL,
            staff_name TEXT,
            action TEXT NOT NULL,
            target TEXT,
            at INTEGER NOT NULL
        )""",
        "CREATE INDEX console_audit_at ON console_audit (at)",
        "CREATE TABLE handled_groups (key TEXT PRIMARY KEY, staff_id INTEGER, handled_at INTEGER)",
        # The console's overview counts a week of questions by hour, outcome and language: an
        # index that holds those columns answers it without reading the table (4x faster at
        # 100,000 questions). It starts with asked_at, so it also serves what the old one did.
        "DROP INDEX questions_asked",
        """CREATE INDEX questions_asked_outcome
           ON questions (asked_at, outcome, language, municipality)""",
    ],
    # 8: one staff chat and volunteer group per municipality. The municipalities a volunteer
    # signed up for (none: registered before, may help anywhere); when the volunteers whose
    # areas match a request were told of it first, and when it went to the whole group.
    [
        "ALTER TABLE volunteers ADD COLUMN municipalities TEXT",
        "ALTER TABLE help_requests ADD COLUMN offered_at INTEGER",
        "ALTER TABLE help_requests ADD COLUMN widened_at INTEGER",
    ],
    # 9: urgent notices. Who wants them from which municipality (asked once: a "no" is kept
    # too), the notices staff write, and one row per recipient, recorded before and after the
    # send, so that no resident gets a notice twice, across crashes too.
    [
        """CREATE TABLE subscriptions (
            user_id INTEGER NOT NULL,
            municipality TEXT NOT NULL,
            active INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            blocked_at INTEGER,
            PRIMARY KEY (user_id, municipality)
        )""",
        "CREATE INDEX subscriptions_active ON subscriptions (municipality) WHERE active = 1",
        """CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            municipality TEXT,
            texts TEXT NOT NULL,
            languages TEXT NOT NULL,
            state TEXT NOT NULL,
            created_by INTEGER,
            approved_by INTEGER,
            staff_chat_id INTEGER,
            prompt_message_id INTEGER,
            progress_message_id INTEGER,
            progress_edited_at REAL,
            recipients INTEGER,
            created_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER,
            ended_at INTEGER
        )""",
        "CREATE INDEX notices_prompt ON notices (staff_chat_id, prompt_message_id)",
        """CREATE TABLE notice_deliveries (
            notice_id INTEGER NOT NULL REFERENCES notices (id),
            user_id INTEGER NOT NULL,
            municipality TEXT,
            language TEXT,
            state TEXT NOT NULL DEFAULT 'waiting',
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before REAL NOT NULL DEFAULT 0,
            message_id INTEGER,
            updated_at INTEGER,
            last_error TEXT,
            PRIMARY KEY (notice_id, user_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX notice_deliveries_state ON notice_deliveries (notice_id, state, not_before)",
    ],
    # 10: the municipality each console audit entry is about, so that a
    # municipality's staff read only their own municipality's entries (none: sign-ins, and
    # entries written before; the global staff read those).
    [
        "ALTER TABLE console_audit ADD COLUMN municipality TEXT",
    ],
    # 11: approval per municipality. A volunteer who signed up for Asker and
    # Öckerö is approved (or rejected, or revoked) by each one's staff for it alone; the
    # volunteers row keeps their overall state (approved somewhere, else pending somewhere,
    # else revoked, else rejected). Every existing decision is kept, for each municipality
    # the volunteer signed up for; one registered without municipalities has no rows and
    # is decided as a whole, as before.
    [
        """CREATE TABLE volunteer_approvals (
            user_id INTEGER NOT NULL,
            municipality TEXT NOT NULL,
            state TEXT NOT NULL,
            decided_at INTEGER,
            decided_by INTEGER,
            PRIMARY KEY (user_id, municipality)
        ) WITHOUT ROWID""",
        """INSERT INTO volunteer_approvals (user_id, municipality, state, decided_at, decided_by)
           SELECT v.user_id, m.value, v.state, v.decided_at, v.decided_by
           FROM volunteers AS v,
                json_each('["' || replace(v.municipalities, ',', '","') || '"]') AS m
           WHERE v.municipalities IS NOT NULL AND v.municipalities != '' AND m.value != ''""",
    ],
    # 12: staff actions taken in a staff chat (its buttons and commands) go into the audit
    # log too: where each was taken (NULL: the console, as every entry before). An index
    # for a municipality's staff's own audit view, newest first.
    #
    # And the console's speed at 100,000 questions: the overview reads questions counted per
    # hour, municipality ('' for none), outcome and language, kept by triggers as questions
    # are stored, changed and deleted (a week is at most a few thousand rows, where counting
    # the questions themselves read 70,000 index entries); the unanswered page reads its
    # questions from an index that holds only the unanswered ones still with their texts
    # (RETENTION_DAYS' worth at most), in the order it groups them, so they are counted
    # without sorting them first (twice as fast at 25,000 of them).
    [
        "ALTER TABLE console_audit ADD COLUMN surface TEXT",
        "CREATE INDEX console_audit_municipality ON console_audit (municipality, id)",
        """CREATE TABLE question_hours (
            hour INTEGER NOT NULL,
            municipality TEXT NOT NULL,
            outcome TEXT NOT NULL,
            language TEXT NOT NULL,
            asked INTEGER NOT NULL,
            PRIMARY KEY (hour, municipality, outcome, language)
        ) WITHOUT ROWID""",
        """INSERT INTO question_hours (hour, municipality, outcome, language, asked)
           SELECT asked_at / 3600, COALESCE(municipality, ''), outcome, language, COUNT(*)
           FROM questions GROUP BY 1, 2, 3, 4""",
        """CREATE TRIGGER question_hours_insert AFTER INSERT ON questions BEGIN
             INSERT INTO question_hours (hour, municipality, outcome, language, asked)
             VALUES (new.asked_at / 3600, COALESCE(new.municipality, ''), new.outcome,
                     new.language, 1)
             ON CONFLICT DO UPDATE SET asked = asked + 1;
           END""",
        """CREATE TRIGGER question_hours_delete AFTER DELETE ON questions BEGIN
             UPDATE question_hours SET asked = asked - 1
             WHERE hour = old.asked_at / 3600 AND municipality = COALESCE(old.municipality, '')
               AND outcome = old.outcome AND language = old.language;
           END""",
        """CREATE TRIGGER question_hours_update
           AFTER UPDATE OF asked_at, municipality, outcome, language ON questions BEGIN
             UPDATE question_hours SET asked = asked - 1
             WHERE hour = old.asked_at / 3600 AND municipality = COALESCE(old.municipality, '')
               AND outcome = old.outcome AND language = old.language;
             INSERT INTO question_hours (hour, municipality, outcome, language, asked)
             VALUES (new.asked_at / 3600, COALESCE(new.municipality, ''), new.outcome,
                     new.language, 1)
             ON CONFLICT DO UPDATE SET asked = asked + 1;
           END""",
        """CREATE INDEX questions_unanswered
           ON questions (municipality, language, lower(text), asked_at, text)
           WHERE outcome = 'fallback' AND text IS NOT NULL""",
        # The feedback page: votes per entry counted from an index that holds them, and each
        # entry's latest 👎 read newest first from one of its own.
        "CREATE INDEX feedback_entry ON feedback (entry_id, created_at, helpful, municipality)",
        "CREATE INDEX feedback_unhelpful ON feedback (entry_id, created_at) WHERE helpful = 0",
    ],
    # 13: a notice draft begun with /notice in a staff chat and taken over in the console: who
    # took it. The chat's prompt no longer takes a reply for its text; the console finishes it.
    [
        "ALTER TABLE notices ADD COLUMN taken_over_by INTEGER",
    ],
]
