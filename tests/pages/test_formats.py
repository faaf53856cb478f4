"""Durations as the pages print them (pages/ui/formats.py)."""

from pages.ui.formats import ago, seconds


def test_seconds():
    assert seconds(0.4) == "under a second"
    assert seconds(4.4) == "4 s"
    assert seconds(59.4) == "59 s"
    assert seconds(60) == "1 min"
    assert seconds(80) == "1 min 20 s"
    assert seconds(725) == "12 min"


def test_ago():
    assert ago(3) == "just now"
    assert ago(42) == "42 s ago"
    assert ago(180) == "3 min ago"
    assert ago(2 * 3600 + 5) == "2 h ago"
    assert ago(86_400) == "1 day ago"
    assert ago(5 * 86_400) == "5 days ago"
