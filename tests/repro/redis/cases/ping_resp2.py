import os

import redis

# RESP2 (protocol=2), the default of redis-py before 8.0 and of many other clients
r = redis.Redis.from_url(os.environ["REDIS_URL"], protocol=2)
r.ping()
