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


def test_mask_shortcuts_never_change_the_result() -> None:
    import random

    from kb_engine import masks

    def plain(text: str) -> str:
        for name, pattern in masks.MASKS:
            text = pattern.sub(f"<{name}>", text)
        return text

    alphabet = [*"0123456789abcdefABCDEF-:./\\ xT,Z+@_", "0x", "port ", "pid=", "PID:",
                "process ", "Process ", "\u0663", "\u212a", "\u017f", "\u0130"]
    rng = random.Random(11)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert masks._mask(text) == plain(text), text
