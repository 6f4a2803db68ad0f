import psycopg2


def setup(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    conn.cursor().execute(
        "CREATE TABLE IF NOT EXISTS kb_accounts (id int PRIMARY KEY, balance int);"
        "INSERT INTO kb_accounts VALUES (1, 100), (2, 100) ON CONFLICT DO NOTHING"
    )
    conn.close()
