import os

import redis

# a node started with cluster-enabled yes, but no slots were ever assigned
r = redis.Redis.from_url(os.environ["REDIS_URL"])
r.set("user:1", "data")
