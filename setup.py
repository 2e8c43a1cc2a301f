from setuptools import setup

setup(cffi_modules=["src/privbill/_build.py:ffibuilder"])
