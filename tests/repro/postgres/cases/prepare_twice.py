import os

import psycopg2

conn = psycopg2.connect(os.environ["DATABASE_URL"])
cur = conn.cursor()
cur.execute("PREPARE get_account (int) AS SELECT $1")
cur.execute("PREPARE get_account (int) AS SELECT $1")
