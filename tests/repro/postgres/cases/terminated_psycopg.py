import os

import psycopg

victim = psycopg.connect(os.environ["DATABASE_URL"])
admin = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
# a DBA (or a cleanup job) runs pg_terminate_backend() on the app's connection
admin.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
victim.execute("SELECT 1")
