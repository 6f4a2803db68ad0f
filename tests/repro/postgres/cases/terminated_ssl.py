import os

import psycopg2

victim = psycopg2.connect(os.environ["DATABASE_URL"], sslmode="require")
admin = psycopg2.connect(os.environ["DATABASE_URL"])
admin.autocommit = True
admin.cursor().execute("SELECT pg_terminate_backend(%s)", (victim.get_backend_pid(),))
cur = victim.cursor()
cur.execute("SELECT 1")
