"""The Dask tests: ``-m dask`` selects them, ``-m 'not dask'`` leaves them out."""


def pytest_configure(config):
    config.addinivalue_line("markers", "dask: grade batch through a real distributed.LocalCluster")
