import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# the shared subprocess/server harness lives beside the server reproductions;
# tests/ holds support.py (top_cause, same_error)
for p in (_HERE.parent / "servers", _HERE.parents[1]):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
