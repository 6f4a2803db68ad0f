import os

import redis

pool = redis.ConnectionPool.from_url(os.environ["REDIS_URL"], max_connections=2)
r = redis.Redis(connection_pool=pool)
# three pubsub listeners each hold a pooled connection for as long as they live
listeners = []
for channel in ("orders", "invoices", "emails"):
    p = r.pubsub()
    p.subscribe(channel)
    listeners.append(p)
