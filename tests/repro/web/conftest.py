import sys
from pathlib import Path

# the shared subprocess/server harness lives beside the server reproductions
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servers"))
