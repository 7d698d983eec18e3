"""Packaging for Sweeper, the pocket hidden-camera sweeper."""
from setuptools import find_packages, setup

setup(
    name="sweeper",
    version="0.1.0",
    description="Pocket hidden-camera sweeper: RF and Wi-Fi detection on a Raspberry Pi",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="GPL-3.0-or-later",
    python_requires=">=3.9",
    packages=find_packages(include=["sweeper", "sweeper.*"]),
    package_data={"sweeper": ["data/*.yaml", "data/fonts/*", "sim/wifi/*.json"]},
    install_requires=[
        "numpy>=1.21",
        "pyyaml>=6.0",  # older ones (e.g. a distro 5.x via --system-site-packages) expand merge keys without bound
        # frame templates for the Wi-Fi traffic simulator (never used per frame)
        "scapy>=2.5",
        # the device: OLED panel, buzzer and buttons (both have mock/dummy backends)
        "luma.oled>=3.12",
        "gpiozero>=2.0",
        # I2C: luma.oled's own dependency, named here because the fuel gauge reads it directly
        "smbus2>=0.4",
        # fleet reporting over MQTT (venues; pure Python, imported only when enabled)
        "paho-mqtt>=2.0,<3",
        # `sweeper lan`: mDNS, the ecosystem's maintained pure-Python implementation (Home Assistant's)
        "zeroconf>=0.131",
        # `sweeper lan`: SSDP descriptions and WS-Discovery replies are hostile XML (no entities, no DTDs)
        "defusedxml>=0.7",
    ],
    extras_require={
        # pyrtlsdr 0.4/0.5 fail to import against Debian 12's librtlsdr 0.6.0
        # (undefined symbol rtlsdr_set_dithering); 0.3.0 works with it.
        "sdr": ["pyrtlsdr==0.3.0"],
        # selenium drives Debian's chromium/chromedriver to check the HTML report renders;
        # jinja2 renders the Home Assistant discovery templates as Home Assistant would;
        # pytest-xdist runs the suite on both cores of a Pi-class or CI machine
        "test": ["pytest>=7", "hypothesis>=6", "selenium>=4.10", "jinja2>=3", "pytest-xdist>=3"],
        # `./dev fuzz`: the coverage-guided campaign (libFuzzer for Python). Its own extra:
        # it ships x86-64 Linux wheels, elsewhere (a Pi) it needs clang to build
        "fuzz": ["atheris>=2.3"],
    },
    entry_points={"console_scripts": ["sweeper=sweeper.cli:main"]},
)
