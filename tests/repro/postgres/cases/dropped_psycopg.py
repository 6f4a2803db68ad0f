import os
import sys

import psycopg
from relay import Relay

sslmode = sys.argv[1] if len(sys.argv) > 1 else "disable"
relay = Relay(os.environ["DATABASE_URL"])
conn = psycopg.connect(os.environ["DATABASE_URL"], port=relay.port, sslmode=sslmode)
conn.execute("SELECT 1")
relay.cut()
conn.execute("SELECT 1")
