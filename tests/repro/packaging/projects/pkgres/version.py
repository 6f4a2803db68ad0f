import pkg_resources

__version__ = pkg_resources.get_distribution("acme-billing").version
print(__version__)
