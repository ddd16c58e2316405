// The system SQLite (apt: libsqlite3-dev), for KoanSearch's study storage.
#include <sqlite3.h>
