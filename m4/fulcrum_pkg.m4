dnl FULCRUM_CHECK_PKG(VAR, MODULES, DEBIAN-PACKAGE)
dnl Finds a library with pkg-config; when missing, names the Debian package.
AC_DEFUN([FULCRUM_CHECK_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 not found: install it with 'apt-get install $3' (or run ./quickstart, which installs everything)])])
])
