from kb_engine import fingerprint, mask


def test_masks_name_each_volatile_token() -> None:
    line = ("2026-11-27T10:00:01.123Z pid=4411 connect to 10.1.2.3:5432 failed "
            "at 0x7f3a2b, request 1b4e28ba-2fa1-11d2-883f-0016d3cca427 in /srv/app/db.py")
    out = mask(line)
    for name in ("TIMESTAMP", "PID", "IP", "HEX", "UUID", "PATH"):
        assert f"<{name}>" in out, name
    assert "4411" not in out and "5432" not in out


def test_fingerprint_is_stable_across_runs_but_not_across_errors() -> None:
    a = fingerprint("TimeoutError: QueuePool limit of size 5 overflow 10 reached, timeout 30.00")
    b = fingerprint("TimeoutError: QueuePool limit of size 20 overflow 0 reached, timeout 5.00")
    c = fingerprint("KeyError: 'DATABASE_URL'")
    assert a == b
    assert a != c
    assert len(a) == 12 and int(a, 16) >= 0
