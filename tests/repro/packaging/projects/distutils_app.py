from distutils.version import LooseVersion

print(LooseVersion("1.10") > LooseVersion("1.9"))
