/*
 * io/azure.c - the Azure Blob backend of the object stores (abfs[s]://,
 * wasb[s]://): not written yet. Its table is empty, and io_url_parse refuses
 * Azure URLs with a message saying so until it is filled in.
 */
#include "io/store_int.h"

const io_store_ops io_azure_ops = {.name = "azure"};
