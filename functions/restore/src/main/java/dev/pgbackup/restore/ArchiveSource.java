package dev.pgbackup.restore;

import static dev.pgbackup.common.failure.Verdict.RESTORE_REFUSED;

import dev.pgbackup.common.storage.ArchiveCipher;
import dev.pgbackup.common.storage.ArchiveStorage;
import dev.pgbackup.common.storage.BackupObject;
import dev.pgbackup.common.storage.KmsRefusal;
import dev.pgbackup.common.storage.Manifest;
import dev.pgbackup.common.storage.MeasuredStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A backup's archive as pg_restore must read it: the object itself, or, when the workers encrypted it (the
 * manifest says so, or the object starts as an AWS Encryption SDK message), its decryption under the key the manifest
 * names, bound to the backup's app, environment and file name. Its first read (the archive check, before anything
 * is touched) proves that this stack may read it (S3's SSE-KMS and the client-side data key: the key policy
 * decides) and that it is the archive of that name; its refusals name the backup's environment. The checksum in the manifest is of what S3
 * holds, so reads of an encrypted archive measure the ciphertext too.
 */
public final class ArchiveSource {
    private final ArchiveStorage archives;
    private final BackupObject backup;
    private final Optional<Manifest> manifest;
    private final String app;
    private final Supplier<ArchiveCipher> cipher;
    private final RestoreTarget target;
    private volatile boolean encrypted;
    private volatile Decrypting last;

    ArchiveSource(ArchiveStorage archives, BackupObject backup, Optional<Manifest> manifest, String app,
            Supplier<ArchiveCipher> cipher, String target) {
        this(archives, backup, manifest, app, cipher, RestoreTarget.named(target));
    }

    public ArchiveSource(ArchiveStorage archives, BackupObject backup, Optional<Manifest> manifest, String app,
            Supplier<ArchiveCipher> cipher, RestoreTarget target) {
        this.archives = archives;
        this.backup = backup;
        this.manifest = manifest;
        this.app = app;
        this.cipher = cipher;
        this.target = target;
        this.encrypted = manifest.map(Manifest::clientSideEncrypted).orElse(false);
    }

    /** Whether the archive is the workers' encryption (known from the manifest, or from the first read's bytes). */
    boolean encrypted() {
        return encrypted;
    }

    /**
     * A read of the archive pinned to the checked version, decrypted when it is encrypted. A key this stack may not
     * use, or a message bound to another environment or file, fails here as a {@link RestoreFailure} (target
     * unchanged): the first read is the archive check, before anything is touched.
     */
    ArchiveStorage.Reading open() {
        ArchiveStorage.Reading raw;
        try {
            raw = archives.open(backup.filename(), backup.eTag());
        } catch (RuntimeException e) {
            if (KmsRefusal.in(e)) {
                throw RestoreFailure.unchanged(target,
                        KmsRefusal.restoreMessage(backup.filename(), backup.environment()),
                        String.valueOf(e.getMessage()));
            }
            throw e;
        }
        try {
            InputStream in = raw.stream();
            if (!encrypted && manifest.isEmpty()) {
                // no manifest says how it was written: the first bytes do (a message of the SDK's committing suites)
                PushbackInputStream peek = new PushbackInputStream(in, 3);
                byte[] head = peek.readNBytes(3);
                peek.unread(head);
                encrypted = head.length == 3 && head[0] == 2 && (head[1] == 4 || head[1] == 5) && head[2] == 0x78;
                in = peek;
            }
            if (!encrypted) {
                return new Plain(raw, in);
            }
            MeasuredStream measured = new MeasuredStream(in);
            Decrypting d = new Decrypting(raw, measured, decrypt(measured));
            last = d;
            return d;
        } catch (IOException e) {
            raw.close();
            throw new java.io.UncheckedIOException(e);
        } catch (RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * The size and SHA-256 of the ciphertext the last {@link #open()} read to its end (what the manifest records),
     * or empty when the archive is not encrypted or was not read to its end.
     */
    Optional<ArchiveStorage.Uploaded> ciphertextRead() {
        Decrypting d = last;
        return d == null ? Optional.empty() : Optional.ofNullable(d.complete);
    }

    /** Decrypts a downloaded copy of the archive into {@code plain} (a parallel restore reads a file). */
    void decryptFile(Path encryptedFile, Path plain) throws IOException {
        try (InputStream in = decrypt(Files.newInputStream(encryptedFile));
                OutputStream out = Files.newOutputStream(plain)) {
            in.transferTo(out);
        } catch (ArchiveCipher.Refused e) {
            throw refusal(e);
        }
    }

    private InputStream decrypt(InputStream ciphertext) {
        String key = manifest.filter(Manifest::clientSideEncrypted).map(Manifest::kmsKeyId).orElse(null);
        try {
            return cipher.get().decrypt(ciphertext, key, ArchiveCipher.context(app, backup.environment(),
                    backup.filename()));
        } catch (ArchiveCipher.Refused e) {
            throw refusal(e);
        }
    }

    private RestoreFailure refusal(ArchiveCipher.Refused e) {
        if (e.kms) {
            return RestoreFailure.unchanged(target, KmsRefusal.restoreMessage(backup.filename(), backup.environment()),
                    String.valueOf(e.getCause() == null ? e.getMessage() : e.getCause().getMessage()));
        }
        return RestoreFailure.unchanged(target, RESTORE_REFUSED, "backup file " + backup.filename() + " is not the "
                + "encrypted archive of that name: " + e.getMessage());
    }

    /** The object's bytes as S3 sends them (after the peek at its first bytes). */
    private static final class Plain implements ArchiveStorage.Reading {
        private final ArchiveStorage.Reading raw;
        private final InputStream in;

        Plain(ArchiveStorage.Reading raw, InputStream in) {
            this.raw = raw;
            this.in = in;
        }

        @Override
        public InputStream stream() {
            return in;
        }

        @Override
        public long length() {
            return raw.length();
        }

        @Override
        public void abort() {
            raw.abort();
        }

        @Override
        public void close() {
            raw.close();
        }
    }

    /** The plaintext read; at its end the ciphertext is read to its own end, so that its size and checksum are whole. */
    private static final class Decrypting extends FilterInputStream implements ArchiveStorage.Reading {
        private final ArchiveStorage.Reading raw;
        private final MeasuredStream measured;
        private volatile ArchiveStorage.Uploaded complete;

        Decrypting(ArchiveStorage.Reading raw, MeasuredStream measured, InputStream plaintext) {
            super(plaintext);
            this.raw = raw;
            this.measured = measured;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n < 0 && complete == null) {
                measured.transferTo(OutputStream.nullOutputStream()); // bytes after the message: a checksum mismatch
                complete = new ArchiveStorage.Uploaded(measured.count(), measured.sha256Hex());
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public InputStream stream() {
            return this;
        }

        /** Unknown: the plaintext's size is not the object's (the ciphertext's completeness is checked instead). */
        @Override
        public long length() {
            return -1;
        }

        @Override
        public void abort() {
            raw.abort();
        }

        @Override
        public void close() {
            raw.close();
        }
    }
}
