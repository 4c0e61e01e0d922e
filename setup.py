"""Only the listening matcher's compiled core; everything else is in pyproject.toml.

Optional: without a C compiler the install goes on and the Python matcher serves alone (slower;
`townsquare bench listening` says which one ran).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "townsquare.listening._native",
            sources=["src/townsquare/listening/_native.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
