/* The one list of unit suites; run.c expands USE() twice. */
USE(conf)
USE(model)
USE(db)
USE(command)
USE(store)
USE(auth)
USE(ipvs_model)
USE(idmap)
