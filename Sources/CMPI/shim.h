#include <mpi.h>

// Open MPI's handles are macros over addresses of its globals, e.g.
// MPI_COMM_WORLD = ((MPI_Comm)&ompi_mpi_comm_world), which Swift cannot import; these return them.
static inline MPI_Comm shim_MPI_COMM_WORLD(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype shim_MPI_BYTE(void) { return MPI_BYTE; }
static inline MPI_Datatype shim_MPI_INT64_T(void) { return MPI_INT64_T; }
static inline MPI_Info shim_MPI_INFO_NULL(void) { return MPI_INFO_NULL; }
static inline void *shim_MPI_IN_PLACE(void) { return MPI_IN_PLACE; }
