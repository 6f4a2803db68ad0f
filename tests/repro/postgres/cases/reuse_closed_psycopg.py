import os

import psycopg

conn = psycopg.connect(os.environ["DATABASE_URL"])
admin = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
try:
    conn.execute("SELECT 1")
except psycopg.OperationalError as exc:
    print("query failed, retrying:", exc)
# the retry reuses the same (now dead) connection object
conn.execute("SELECT 1")
