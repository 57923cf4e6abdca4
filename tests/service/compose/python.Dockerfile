# A local stand-in for python:3.11-slim, for tests/service/test_compose.py on a machine without a
# registry: Debian bookworm's python3.11 in a venv on PATH (`python`, `pip`), made from the
# debootstrapped DEBIAN_IMAGE. The build context is made at test time: ca-certificates/ holds the
# host's locally added CA certificates and pip.conf the host's index (when it sets one), so pip in
# an image build reaches PyPI the way the host does. Neither is ever committed.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
COPY ca-certificates/ /usr/local/share/ca-certificates/
COPY pip.conf /etc/pip.conf
RUN update-ca-certificates >/dev/null && python3 -m venv /opt/python
ENV PATH=/opt/python/bin:$PATH LANG=C.UTF-8
CMD ["python3"]
