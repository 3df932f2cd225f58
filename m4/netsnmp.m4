dnl FULCRUM_CHECK_NETSNMP: Net-SNMP's agent library, found with net-snmp-config.
AC_DEFUN([FULCRUM_CHECK_NETSNMP], [
  AC_PATH_PROG([NETSNMP_CONFIG], [net-snmp-config], [no])
  AS_IF([test "x$NETSNMP_CONFIG" = "xno"],
    [AC_MSG_ERROR([net-snmp-config not found: install it with 'apt-get install libsnmp-dev'])])
  NETSNMP_CFLAGS=`$NETSNMP_CONFIG --base-cflags`
  NETSNMP_LIBS=`$NETSNMP_CONFIG --agent-libs`
  AC_SUBST([NETSNMP_CFLAGS])
  AC_SUBST([NETSNMP_LIBS])
  dnl FULCRUM-MIB goes where net-snmp's tools look for MIBs, whatever --prefix says.
  AC_ARG_WITH([mibdir],
    [AS_HELP_STRING([--with-mibdir=DIR], [where to install FULCRUM-MIB (default: net-snmp's, PREFIX/share/snmp/mibs of net-snmp-config)])],
    [MIBDIR=$withval],
    [MIBDIR="`$NETSNMP_CONFIG --prefix`/share/snmp/mibs"])
  AC_SUBST([MIBDIR])
])
