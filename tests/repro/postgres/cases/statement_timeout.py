import os

import psycopg2

conn = psycopg2.connect(os.environ["DATABASE_URL"], options="-c statement_timeout=200")
cur = conn.cursor()
cur.execute("SELECT pg_sleep(2)")  # a slow report query
