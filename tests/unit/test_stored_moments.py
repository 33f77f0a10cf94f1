"""The clock reads stored moments the same way whether the database kept their time zone or not."""

from datetime import UTC, datetime, timedelta, timezone

from shop import clock


def test_a_naive_stored_moment_is_read_as_utc():
    assert clock.aware_utc(datetime(2026, 7, 14, 22, 30)) == datetime(
        2026, 7, 14, 22, 30, tzinfo=UTC
    )


def test_an_aware_moment_keeps_its_instant_and_is_given_in_utc():
    summer = timezone(timedelta(hours=1))
    moment = clock.aware_utc(datetime(2026, 7, 14, 23, 30, tzinfo=summer))
    assert moment == datetime(2026, 7, 14, 22, 30, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)


def test_a_missing_moment_stays_missing():
    assert clock.aware_utc(None) is None
