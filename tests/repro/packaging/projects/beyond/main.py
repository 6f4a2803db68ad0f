import pkg.sub.jobs

print(pkg.sub.jobs)
