"""Marks the wheel as platform-specific: it bundles liboauthkit.so.

The Python code loads the library with cffi in ABI mode, so the wheel does
not depend on the Python version (tag ``py3-none-<platform>``).
"""

from setuptools import setup
from setuptools.dist import Distribution

try:  # setuptools 70.1 and later ship the command
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:  # older setuptools: the wheel package's
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel


class BinaryDistribution(Distribution):
    def has_ext_modules(self) -> bool:
        return True


class bdist_wheel(_bdist_wheel):
    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):  # type: ignore[no-untyped-def]
        _python, _abi, plat = super().get_tag()
        return "py3", "none", plat


setup(distclass=BinaryDistribution, cmdclass={"bdist_wheel": bdist_wheel})
