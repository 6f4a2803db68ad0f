import os
import sys

import psycopg2
from relay import Relay

# The app talks to PostgreSQL through a relay (think: NAT gateway, cloud load balancer, a
# sidecar proxy) that silently drops the connection between two queries.
sslmode = sys.argv[1] if len(sys.argv) > 1 else "disable"
relay = Relay(os.environ["DATABASE_URL"])
conn = psycopg2.connect(os.environ["DATABASE_URL"], port=relay.port, sslmode=sslmode)
cur = conn.cursor()
cur.execute("SELECT 1")
relay.cut()
cur.execute("SELECT 1")
