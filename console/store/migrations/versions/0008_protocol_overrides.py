"""clinic protocol: overrides, protocol version

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 07:38:37.987244
"""

import sqlalchemy as sa
from alembic import op

from console.store.timestamps import UTCDateTime

# Overrides join the rows a signature locks, and are append-only: the lock triggers before and
# after this revision, frozen as first written.
CREATE_LOCKS_BEFORE = {
    "sqlite": [
        "CREATE TRIGGER dose_administration_locked_insert BEFORE INSERT ON dose_administration WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER dose_administration_locked_update BEFORE UPDATE ON dose_administration WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER dose_administration_locked_delete BEFORE DELETE ON dose_administration WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER vital_signs_locked_insert BEFORE INSERT ON vital_signs WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER vital_signs_locked_update BEFORE UPDATE ON vital_signs WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER vital_signs_locked_delete BEFORE DELETE ON vital_signs WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER side_effect_locked_insert BEFORE INSERT ON side_effect WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER side_effect_locked_update BEFORE UPDATE ON side_effect WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER side_effect_locked_delete BEFORE DELETE ON side_effect WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER pain_score_locked_insert BEFORE INSERT ON pain_score WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER pain_score_locked_update BEFORE UPDATE ON pain_score WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER pain_score_locked_delete BEFORE DELETE ON pain_score WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER alert_locked_insert BEFORE INSERT ON alert WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER alert_locked_update BEFORE UPDATE ON alert WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER alert_locked_delete BEFORE DELETE ON alert WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER review_return_locked_insert BEFORE INSERT ON review_return WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER review_return_locked_update BEFORE UPDATE ON review_return WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER review_return_locked_delete BEFORE DELETE ON review_return WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER infusion_event_locked_insert BEFORE INSERT ON infusion_event WHEN EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id WHERE d.id IN (NEW.dose_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER infusion_event_locked_update BEFORE UPDATE ON infusion_event WHEN EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id WHERE d.id IN (OLD.dose_id, NEW.dose_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER infusion_event_locked_delete BEFORE DELETE ON infusion_event WHEN EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id WHERE d.id IN (OLD.dose_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER treatment_session_locked_update BEFORE UPDATE ON treatment_session WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER treatment_session_locked_delete BEFORE DELETE ON treatment_session WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER session_signature_physician_only BEFORE INSERT ON session_signature WHEN (SELECT role FROM user_account WHERE id = NEW.signer_id) IS NOT 'physician' BEGIN SELECT RAISE(ABORT, 'only a physician can sign a session'); END",
        "CREATE TRIGGER session_signature_no_update BEFORE UPDATE ON session_signature BEGIN SELECT RAISE(ABORT, 'session_signature rows are append-only'); END",
        "CREATE TRIGGER session_signature_no_delete BEFORE DELETE ON session_signature BEGIN SELECT RAISE(ABORT, 'session_signature rows are append-only'); END",
        "CREATE TRIGGER addendum_no_update BEFORE UPDATE ON addendum BEGIN SELECT RAISE(ABORT, 'addendum rows are append-only'); END",
        "CREATE TRIGGER addendum_no_delete BEFORE DELETE ON addendum BEGIN SELECT RAISE(ABORT, 'addendum rows are append-only'); END",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION chairside_session_of(tbl text, rec jsonb) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    sid bigint;
BEGIN
    IF tbl = 'treatment_session' THEN
        RETURN (rec ->> 'id')::bigint;
    ELSIF tbl = 'infusion_event' THEN
        SELECT session_id INTO sid FROM dose_administration WHERE id = (rec ->> 'dose_id')::bigint;
        RETURN sid;
    END IF;
    RETURN (rec ->> 'session_id')::bigint;
END $$""",
        """CREATE OR REPLACE FUNCTION chairside_signed_lock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid bigint;
BEGIN
    -- The session id goes into a variable first: inside the WHERE it would be computed per row.
    IF TG_OP <> 'INSERT' THEN
        sid := chairside_session_of(TG_TABLE_NAME, to_jsonb(OLD));
        IF EXISTS (SELECT 1 FROM session_signature WHERE session_id = sid) THEN
            RAISE EXCEPTION 'the session is signed and locked: add an addendum instead';
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        sid := chairside_session_of(TG_TABLE_NAME, to_jsonb(NEW));
        IF EXISTS (SELECT 1 FROM session_signature WHERE session_id = sid) THEN
            RAISE EXCEPTION 'the session is signed and locked: add an addendum instead';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$""",
        """CREATE OR REPLACE FUNCTION chairside_signer_is_physician() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT role FROM user_account WHERE id = NEW.signer_id) IS DISTINCT FROM 'physician' THEN
        RAISE EXCEPTION 'only a physician can sign a session';
    END IF;
    RETURN NEW;
END $$""",
        """CREATE OR REPLACE FUNCTION chairside_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END $$""",
        "CREATE TRIGGER dose_administration_locked BEFORE INSERT OR UPDATE OR DELETE ON dose_administration FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER vital_signs_locked BEFORE INSERT OR UPDATE OR DELETE ON vital_signs FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER side_effect_locked BEFORE INSERT OR UPDATE OR DELETE ON side_effect FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER pain_score_locked BEFORE INSERT OR UPDATE OR DELETE ON pain_score FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER alert_locked BEFORE INSERT OR UPDATE OR DELETE ON alert FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER review_return_locked BEFORE INSERT OR UPDATE OR DELETE ON review_return FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER infusion_event_locked BEFORE INSERT OR UPDATE OR DELETE ON infusion_event FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER treatment_session_locked BEFORE UPDATE OR DELETE ON treatment_session FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER session_signature_physician_only BEFORE INSERT ON session_signature FOR EACH ROW EXECUTE FUNCTION chairside_signer_is_physician()",
        "CREATE TRIGGER session_signature_no_change BEFORE UPDATE OR DELETE ON session_signature FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER session_signature_no_truncate BEFORE TRUNCATE ON session_signature FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER addendum_no_change BEFORE UPDATE OR DELETE ON addendum FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER addendum_no_truncate BEFORE TRUNCATE ON addendum FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
    ],
}

DROP_LOCKS_BEFORE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS dose_administration_locked_insert",
        "DROP TRIGGER IF EXISTS dose_administration_locked_update",
        "DROP TRIGGER IF EXISTS dose_administration_locked_delete",
        "DROP TRIGGER IF EXISTS vital_signs_locked_insert",
        "DROP TRIGGER IF EXISTS vital_signs_locked_update",
        "DROP TRIGGER IF EXISTS vital_signs_locked_delete",
        "DROP TRIGGER IF EXISTS side_effect_locked_insert",
        "DROP TRIGGER IF EXISTS side_effect_locked_update",
        "DROP TRIGGER IF EXISTS side_effect_locked_delete",
        "DROP TRIGGER IF EXISTS pain_score_locked_insert",
        "DROP TRIGGER IF EXISTS pain_score_locked_update",
        "DROP TRIGGER IF EXISTS pain_score_locked_delete",
        "DROP TRIGGER IF EXISTS alert_locked_insert",
        "DROP TRIGGER IF EXISTS alert_locked_update",
        "DROP TRIGGER IF EXISTS alert_locked_delete",
        "DROP TRIGGER IF EXISTS review_return_locked_insert",
        "DROP TRIGGER IF EXISTS review_return_locked_update",
        "DROP TRIGGER IF EXISTS review_return_locked_delete",
        "DROP TRIGGER IF EXISTS infusion_event_locked_insert",
        "DROP TRIGGER IF EXISTS infusion_event_locked_update",
        "DROP TRIGGER IF EXISTS infusion_event_locked_delete",
        "DROP TRIGGER IF EXISTS treatment_session_locked_update",
        "DROP TRIGGER IF EXISTS treatment_session_locked_delete",
        "DROP TRIGGER IF EXISTS session_signature_physician_only",
        "DROP TRIGGER IF EXISTS session_signature_no_update",
        "DROP TRIGGER IF EXISTS session_signature_no_delete",
        "DROP TRIGGER IF EXISTS addendum_no_update",
        "DROP TRIGGER IF EXISTS addendum_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS dose_administration_locked ON dose_administration",
        "DROP TRIGGER IF EXISTS vital_signs_locked ON vital_signs",
        "DROP TRIGGER IF EXISTS side_effect_locked ON side_effect",
        "DROP TRIGGER IF EXISTS pain_score_locked ON pain_score",
        "DROP TRIGGER IF EXISTS alert_locked ON alert",
        "DROP TRIGGER IF EXISTS review_return_locked ON review_return",
        "DROP TRIGGER IF EXISTS infusion_event_locked ON infusion_event",
        "DROP TRIGGER IF EXISTS treatment_session_locked ON treatment_session",
        "DROP TRIGGER IF EXISTS session_signature_physician_only ON session_signature",
        "DROP TRIGGER IF EXISTS session_signature_no_change ON session_signature",
        "DROP TRIGGER IF EXISTS session_signature_no_truncate ON session_signature",
        "DROP TRIGGER IF EXISTS addendum_no_change ON addendum",
        "DROP TRIGGER IF EXISTS addendum_no_truncate ON addendum",
        "DROP FUNCTION IF EXISTS chairside_signed_lock()",
        "DROP FUNCTION IF EXISTS chairside_signer_is_physician()",
        "DROP FUNCTION IF EXISTS chairside_append_only()",
        "DROP FUNCTION IF EXISTS chairside_session_of(text, jsonb)",
    ],
}

CREATE_LOCKS_AFTER = {
    "sqlite": [
        "CREATE TRIGGER dose_administration_locked_insert BEFORE INSERT ON dose_administration WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER dose_administration_locked_update BEFORE UPDATE ON dose_administration WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER dose_administration_locked_delete BEFORE DELETE ON dose_administration WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER vital_signs_locked_insert BEFORE INSERT ON vital_signs WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER vital_signs_locked_update BEFORE UPDATE ON vital_signs WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER vital_signs_locked_delete BEFORE DELETE ON vital_signs WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER side_effect_locked_insert BEFORE INSERT ON side_effect WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER side_effect_locked_update BEFORE UPDATE ON side_effect WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER side_effect_locked_delete BEFORE DELETE ON side_effect WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER pain_score_locked_insert BEFORE INSERT ON pain_score WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER pain_score_locked_update BEFORE UPDATE ON pain_score WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER pain_score_locked_delete BEFORE DELETE ON pain_score WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER alert_locked_insert BEFORE INSERT ON alert WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER alert_locked_update BEFORE UPDATE ON alert WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER alert_locked_delete BEFORE DELETE ON alert WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER review_return_locked_insert BEFORE INSERT ON review_return WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER review_return_locked_update BEFORE UPDATE ON review_return WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER review_return_locked_delete BEFORE DELETE ON review_return WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER override_locked_insert BEFORE INSERT ON override WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER override_locked_update BEFORE UPDATE ON override WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id, NEW.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER override_locked_delete BEFORE DELETE ON override WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.session_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER infusion_event_locked_insert BEFORE INSERT ON infusion_event WHEN EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id WHERE d.id IN (NEW.dose_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER infusion_event_locked_update BEFORE UPDATE ON infusion_event WHEN EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id WHERE d.id IN (OLD.dose_id, NEW.dose_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER infusion_event_locked_delete BEFORE DELETE ON infusion_event WHEN EXISTS (SELECT 1 FROM session_signature s JOIN dose_administration d ON d.session_id = s.session_id WHERE d.id IN (OLD.dose_id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER treatment_session_locked_update BEFORE UPDATE ON treatment_session WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER treatment_session_locked_delete BEFORE DELETE ON treatment_session WHEN EXISTS (SELECT 1 FROM session_signature WHERE session_id IN (OLD.id)) BEGIN SELECT RAISE(ABORT, 'the session is signed and locked: add an addendum instead'); END",
        "CREATE TRIGGER session_signature_physician_only BEFORE INSERT ON session_signature WHEN (SELECT role FROM user_account WHERE id = NEW.signer_id) IS NOT 'physician' BEGIN SELECT RAISE(ABORT, 'only a physician can sign a session'); END",
        "CREATE TRIGGER session_signature_no_update BEFORE UPDATE ON session_signature BEGIN SELECT RAISE(ABORT, 'session_signature rows are append-only'); END",
        "CREATE TRIGGER session_signature_no_delete BEFORE DELETE ON session_signature BEGIN SELECT RAISE(ABORT, 'session_signature rows are append-only'); END",
        "CREATE TRIGGER addendum_no_update BEFORE UPDATE ON addendum BEGIN SELECT RAISE(ABORT, 'addendum rows are append-only'); END",
        "CREATE TRIGGER addendum_no_delete BEFORE DELETE ON addendum BEGIN SELECT RAISE(ABORT, 'addendum rows are append-only'); END",
        "CREATE TRIGGER override_no_update BEFORE UPDATE ON override BEGIN SELECT RAISE(ABORT, 'override rows are append-only'); END",
        "CREATE TRIGGER override_no_delete BEFORE DELETE ON override BEGIN SELECT RAISE(ABORT, 'override rows are append-only'); END",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION chairside_session_of(tbl text, rec jsonb) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    sid bigint;
BEGIN
    IF tbl = 'treatment_session' THEN
        RETURN (rec ->> 'id')::bigint;
    ELSIF tbl = 'infusion_event' THEN
        SELECT session_id INTO sid FROM dose_administration WHERE id = (rec ->> 'dose_id')::bigint;
        RETURN sid;
    END IF;
    RETURN (rec ->> 'session_id')::bigint;
END $$""",
        """CREATE OR REPLACE FUNCTION chairside_signed_lock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid bigint;
BEGIN
    -- The session id goes into a variable first: inside the WHERE it would be computed per row.
    IF TG_OP <> 'INSERT' THEN
        sid := chairside_session_of(TG_TABLE_NAME, to_jsonb(OLD));
        IF EXISTS (SELECT 1 FROM session_signature WHERE session_id = sid) THEN
            RAISE EXCEPTION 'the session is signed and locked: add an addendum instead';
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        sid := chairside_session_of(TG_TABLE_NAME, to_jsonb(NEW));
        IF EXISTS (SELECT 1 FROM session_signature WHERE session_id = sid) THEN
            RAISE EXCEPTION 'the session is signed and locked: add an addendum instead';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$""",
        """CREATE OR REPLACE FUNCTION chairside_signer_is_physician() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT role FROM user_account WHERE id = NEW.signer_id) IS DISTINCT FROM 'physician' THEN
        RAISE EXCEPTION 'only a physician can sign a session';
    END IF;
    RETURN NEW;
END $$""",
        """CREATE OR REPLACE FUNCTION chairside_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END $$""",
        "CREATE TRIGGER dose_administration_locked BEFORE INSERT OR UPDATE OR DELETE ON dose_administration FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER vital_signs_locked BEFORE INSERT OR UPDATE OR DELETE ON vital_signs FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER side_effect_locked BEFORE INSERT OR UPDATE OR DELETE ON side_effect FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER pain_score_locked BEFORE INSERT OR UPDATE OR DELETE ON pain_score FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER alert_locked BEFORE INSERT OR UPDATE OR DELETE ON alert FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER review_return_locked BEFORE INSERT OR UPDATE OR DELETE ON review_return FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER override_locked BEFORE INSERT OR UPDATE OR DELETE ON override FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER infusion_event_locked BEFORE INSERT OR UPDATE OR DELETE ON infusion_event FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER treatment_session_locked BEFORE UPDATE OR DELETE ON treatment_session FOR EACH ROW EXECUTE FUNCTION chairside_signed_lock()",
        "CREATE TRIGGER session_signature_physician_only BEFORE INSERT ON session_signature FOR EACH ROW EXECUTE FUNCTION chairside_signer_is_physician()",
        "CREATE TRIGGER session_signature_no_change BEFORE UPDATE OR DELETE ON session_signature FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER session_signature_no_truncate BEFORE TRUNCATE ON session_signature FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER addendum_no_change BEFORE UPDATE OR DELETE ON addendum FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER addendum_no_truncate BEFORE TRUNCATE ON addendum FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER override_no_change BEFORE UPDATE OR DELETE ON override FOR EACH ROW EXECUTE FUNCTION chairside_append_only()",
        "CREATE TRIGGER override_no_truncate BEFORE TRUNCATE ON override FOR EACH STATEMENT EXECUTE FUNCTION chairside_append_only()",
    ],
}

DROP_LOCKS_AFTER = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS dose_administration_locked_insert",
        "DROP TRIGGER IF EXISTS dose_administration_locked_update",
        "DROP TRIGGER IF EXISTS dose_administration_locked_delete",
        "DROP TRIGGER IF EXISTS vital_signs_locked_insert",
        "DROP TRIGGER IF EXISTS vital_signs_locked_update",
        "DROP TRIGGER IF EXISTS vital_signs_locked_delete",
        "DROP TRIGGER IF EXISTS side_effect_locked_insert",
        "DROP TRIGGER IF EXISTS side_effect_locked_update",
        "DROP TRIGGER IF EXISTS side_effect_locked_delete",
        "DROP TRIGGER IF EXISTS pain_score_locked_insert",
        "DROP TRIGGER IF EXISTS pain_score_locked_update",
        "DROP TRIGGER IF EXISTS pain_score_locked_delete",
        "DROP TRIGGER IF EXISTS alert_locked_insert",
        "DROP TRIGGER IF EXISTS alert_locked_update",
        "DROP TRIGGER IF EXISTS alert_locked_delete",
        "DROP TRIGGER IF EXISTS review_return_locked_insert",
        "DROP TRIGGER IF EXISTS review_return_locked_update",
        "DROP TRIGGER IF EXISTS review_return_locked_delete",
        "DROP TRIGGER IF EXISTS override_locked_insert",
        "DROP TRIGGER IF EXISTS override_locked_update",
        "DROP TRIGGER IF EXISTS override_locked_delete",
        "DROP TRIGGER IF EXISTS infusion_event_locked_insert",
        "DROP TRIGGER IF EXISTS infusion_event_locked_update",
        "DROP TRIGGER IF EXISTS infusion_event_locked_delete",
        "DROP TRIGGER IF EXISTS treatment_session_locked_update",
        "DROP TRIGGER IF EXISTS treatment_session_locked_delete",
        "DROP TRIGGER IF EXISTS session_signature_physician_only",
        "DROP TRIGGER IF EXISTS session_signature_no_update",
        "DROP TRIGGER IF EXISTS session_signature_no_delete",
        "DROP TRIGGER IF EXISTS addendum_no_update",
        "DROP TRIGGER IF EXISTS addendum_no_delete",
        "DROP TRIGGER IF EXISTS override_no_update",
        "DROP TRIGGER IF EXISTS override_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS dose_administration_locked ON dose_administration",
        "DROP TRIGGER IF EXISTS vital_signs_locked ON vital_signs",
        "DROP TRIGGER IF EXISTS side_effect_locked ON side_effect",
        "DROP TRIGGER IF EXISTS pain_score_locked ON pain_score",
        "DROP TRIGGER IF EXISTS alert_locked ON alert",
        "DROP TRIGGER IF EXISTS review_return_locked ON review_return",
        "DROP TRIGGER IF EXISTS override_locked ON override",
        "DROP TRIGGER IF EXISTS infusion_event_locked ON infusion_event",
        "DROP TRIGGER IF EXISTS treatment_session_locked ON treatment_session",
        "DROP TRIGGER IF EXISTS session_signature_physician_only ON session_signature",
        "DROP TRIGGER IF EXISTS session_signature_no_change ON session_signature",
        "DROP TRIGGER IF EXISTS session_signature_no_truncate ON session_signature",
        "DROP TRIGGER IF EXISTS addendum_no_change ON addendum",
        "DROP TRIGGER IF EXISTS addendum_no_truncate ON addendum",
        "DROP TRIGGER IF EXISTS override_no_change ON override",
        "DROP TRIGGER IF EXISTS override_no_truncate ON override",
        "DROP FUNCTION IF EXISTS chairside_signed_lock()",
        "DROP FUNCTION IF EXISTS chairside_signer_is_physician()",
        "DROP FUNCTION IF EXISTS chairside_append_only()",
        "DROP FUNCTION IF EXISTS chairside_session_of(text, jsonb)",
    ],
}

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _run(DROP_LOCKS_BEFORE)
    op.create_table(
        "override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("details", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("overridden_by", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "rule IN ('contraindication', 'predose_hold', 'dose_range', 'discharge')",
            name=op.f("ck_override_rule_known"),
        ),
        sa.CheckConstraint("length(reason) BETWEEN 3 AND 300", name=op.f("ck_override_reason_length")),
        sa.ForeignKeyConstraint(
            ["overridden_by"],
            ["user_account.id"],
            name=op.f("fk_override_overridden_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_override_session_id_treatment_session"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_override")),
    )
    with op.batch_alter_table("override", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_override_session_id"), ["session_id"], unique=False)

    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("protocol_version", sa.String(length=40), nullable=True))
    _run(CREATE_LOCKS_AFTER)


def downgrade() -> None:
    _run(DROP_LOCKS_AFTER)
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.drop_column("protocol_version")

    with op.batch_alter_table("override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_override_session_id"))

    op.drop_table("override")
    _run(CREATE_LOCKS_BEFORE)


def _run(statements: dict[str, list[str]]) -> None:
    for statement in statements[op.get_bind().dialect.name]:
        op.execute(statement)
