package dev.pgbackup.common.storage;

import dev.pgbackup.testsupport.InMemoryArchives;
import dev.pgbackup.testsupport.InMemoryObjectStore;

/** The in-memory archives keep the contract {@code S3ArchivesIT} holds S3Archives to. */
class InMemoryArchivesTest extends ArchiveStorageContract {
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final InMemoryArchives archives = new InMemoryArchives(store);

    @Override
    ArchiveStorage archives() {
        return archives;
    }

    @Override
    ObjectStore objects() {
        return store;
    }
}
