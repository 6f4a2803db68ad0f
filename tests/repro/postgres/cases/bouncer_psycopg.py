import os

import psycopg

# two app connections through pgbouncer in transaction mode; psycopg prepares
# statements server-side (prepare_threshold=0 prepares on first use)
a = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, prepare_threshold=0)
b = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, prepare_threshold=0)
a.execute("SELECT %s::int", (1,))
b.execute("SELECT %s::int", (2,))
