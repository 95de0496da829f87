package dev.pgbackup.common.storage;

import dev.pgbackup.common.Hashes;
import dev.pgbackup.common.time.Deadline;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * A stream of unknown length into one new S3 object, the way a user's pipe into boto3 does it, and no dearer: the
 * caller's thread only reads, straight into part buffers, and takes each part's CRC32 (under a millisecond for
 * 8 MiB), so pg_dump waits on a full pipe only when every buffer is taken; each filled part is hashed (SHA-256, in
 * order, on a thread of its own) while it is sent (CRC32-checked by S3, as boto3 does), and its buffer is reused once
 * both are done. The CRC32 goes as a header: left to the SDK, it is sent as a trailer, and the SDK's aws-chunked
 * encoding copies every byte of the archive into new buffers (the garbage of a 5 GB backup grew the worker's heap,
 * and its peak RSS, by a third). {@link PartPlan} bounds the memory. A stream that fits in one part is a single
 * PutObject. Both ways the object is written only if none of that key exists.
 */
final class MultipartStream {
    /** Why the upload stopped: the first failure (the source, S3, or the deadline), after everything was undone. */
    static final class Failed extends Exception {
        final boolean timedOut;
        final boolean interrupted;

        Failed(Throwable cause, boolean timedOut, boolean interrupted) {
            super(cause);
            this.timedOut = timedOut;
            this.interrupted = interrupted;
        }
    }

    private static final String CONTENT_TYPE = "application/octet-stream";

    private final S3AsyncClient s3;
    private final String bucket;
    private final PartPlan plan;
    private final String kmsKeyId;

    /** {@code kmsKeyId}: written with SSE-KMS under that key and the S3 Bucket Key, or (null) the bucket's default. */
    MultipartStream(S3AsyncClient s3, String bucket, PartPlan plan, String kmsKeyId) {
        this.s3 = s3;
        this.bucket = bucket;
        this.plan = plan;
        this.kmsKeyId = kmsKeyId;
    }

    private void options(PutObjectRequest.Builder put) {
        put.contentType(CONTENT_TYPE);
        if (kmsKeyId != null) {
            put.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(kmsKeyId).bucketKeyEnabled(true);
        }
    }

    private void options(CreateMultipartUploadRequest.Builder create) {
        create.contentType(CONTENT_TYPE);
        if (kmsKeyId != null) {
            create.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(kmsKeyId).bucketKeyEnabled(true);
        }
    }

    /**
     * Writes {@code body} to {@code key}. On any failure {@code onFailure} runs at once (it must end the source, so
     * that a read blocked on it returns), the parts in flight are cancelled and the multipart upload is aborted.
     * The source is read on a thread of its own: past the deadline this returns even if a read stays blocked (a
     * child of the source's process may still hold its pipe open).
     */
    ArchiveStorage.Uploaded upload(String key, InputStream body, Deadline deadline, Runnable onFailure) throws Failed {
        Run run = new Run(key, body, deadline, onFailure);
        CompletableFuture<ArchiveStorage.Uploaded> result = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                result.complete(run.run());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "archive-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            return result.get(Math.max(1, deadline.remaining().toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            run.expire();
            throw settled(result, new Failed(e, true, false));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.fail(e);
            throw settled(result, new Failed(e, false, true));
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Failed f ? f : new Failed(e.getCause(), false, false);
        }
    }

    /** Gives the reader a moment to undo the upload itself (the caller aborts what it left). */
    private static Failed settled(CompletableFuture<?> result, Failed failed) {
        try {
            result.get(UNDO_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // failed, as expected, or still blocked on its source
        }
        return failed;
    }

    private static final long UNDO_WAIT_SECONDS = 5;

    private record Part(int number, byte[] buffer, int length, long cost, boolean last) {
        /**
         * The part as views of {@link #SLICE} bytes, not copies: Netty copies what it writes into direct memory, a
         * whole 8 MiB part at a time for each part in flight when given one buffer, a slice at a time when given these.
         */
        ByteBuffer[] slices() {
            ByteBuffer[] slices = new ByteBuffer[Math.max(1, (length + SLICE - 1) / SLICE)];
            for (int i = 0; i < slices.length; i++) {
                int from = i * SLICE;
                slices[i] = ByteBuffer.wrap(buffer, from, Math.min(SLICE, length - from));
            }
            return slices;
        }

        String crc32() {
            return MultipartStream.crc32(buffer, length);
        }
    }

    private static final int SLICE = 128 * 1024;

    /** The CRC32 of the first {@code length} bytes as S3's x-amz-checksum-crc32 carries it: big-endian, base64. */
    static String crc32(byte[] bytes, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, length);
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** One upload's state: read on one thread; S3's answers and the hashing come on others. */
    private final class Run {
        private final String key;
        private final InputStream body;
        private final Deadline deadline;
        private final Runnable onFailure;
        private final MessageDigest sha256 = Hashes.newSha256();
        private final ExecutorService hasher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "archive-sha256");
            t.setDaemon(true);
            return t;
        });
        /** Room for parts, in KiB (a part's cost, see PartPlan.cost). */
        private final Semaphore room;
        private final Deque<byte[]> spare = new ConcurrentLinkedDeque<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** Every part sent, in order, as S3 answered it. */
        private final Queue<CompletableFuture<CompletedPart>> sent = new ConcurrentLinkedQueue<>();
        /** The requests themselves: a failure cancels those still running (S3's answers, on other threads, may). */
        private final Queue<CompletableFuture<?>> requests = new ConcurrentLinkedQueue<>();
        private CompletableFuture<?> hashed = CompletableFuture.completedFuture(null);
        private volatile boolean timedOut;
        private volatile boolean finished;
        private boolean interrupted;
        private String uploadId;
        private long bytes;

        Run(String key, InputStream body, Deadline deadline, Runnable onFailure) {
            this.key = key;
            this.body = body;
            this.deadline = deadline;
            this.onFailure = onFailure;
            this.room = new Semaphore((int) (plan.buffer() >> 10));
        }

        ArchiveStorage.Uploaded run() throws Failed {
            try {
                Part part = fill(1);
                if (part.last()) {
                    return single(part);
                }
                uploadId = await(s3.createMultipartUpload(b -> options(b.bucket(bucket).key(key)
                        .checksumAlgorithm(ChecksumAlgorithm.CRC32)))).uploadId();
                while (true) {
                    send(part);
                    if (part.last()) {
                        break;
                    }
                    part = fill(part.number() + 1);
                    if (part.length() == 0) { // the stream ended where a part did
                        release(part);
                        break;
                    }
                }
                List<CompletedPart> parts = new ArrayList<>();
                for (CompletableFuture<CompletedPart> p : sent) {
                    parts.add(await(p));
                }
                await(s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId).ifNoneMatch("*")
                        .multipartUpload(u -> u.parts(parts))));
                return done();
            } catch (InterruptedException e) {
                interrupted = true;
                Thread.currentThread().interrupt();
                throw undo(e);
            } catch (Throwable e) {
                throw undo(e);
            } finally {
                finished = true;
                hasher.shutdownNow();
                spare.clear();
            }
        }

        /** The whole stream fit in one part: one request. */
        private ArchiveStorage.Uploaded single(Part part) throws Exception {
            sha256.update(part.buffer(), 0, part.length());
            await(s3.putObject(b -> options(b.bucket(bucket).key(key).ifNoneMatch("*")
                    .contentLength((long) part.length()).checksumAlgorithm(ChecksumAlgorithm.CRC32)
                    .checksumCRC32(part.crc32())),
                    AsyncRequestBody.fromRemainingByteBuffersUnsafe(part.slices())));
            return done();
        }

        /** Reads the next part: blocks for room first, so that at most the plan's buffer is ever held. */
        private Part fill(int number) throws IOException, InterruptedException, Failed {
            long size = plan.partSize(number);
            long cost = plan.cost(size);
            int permits = (int) (cost >> 10);
            while (!room.tryAcquire(permits, 100, TimeUnit.MILLISECONDS)) {
                check();
            }
            byte[] buffer = spare.pollFirst();
            if (buffer == null || buffer.length != size) {
                buffer = new byte[(int) size];
            }
            int n;
            try {
                n = body.readNBytes(buffer, 0, buffer.length);
            } catch (IOException | RuntimeException e) {
                room.release(permits);
                throw e;
            }
            check(); // a part sent earlier failed, or time ran out, while this one was read
            bytes += n;
            return new Part(number, buffer, n, cost, n < size);
        }

        /** Hashes the part in order and sends it; its buffer is free again once both are done. */
        private void send(Part part) {
            hashed = hashed.thenRunAsync(() -> sha256.update(part.buffer(), 0, part.length()), hasher);
            CompletableFuture<UploadPartResponse> request = s3.uploadPart(b -> b.bucket(bucket).key(key)
                    .uploadId(uploadId).partNumber(part.number()).contentLength((long) part.length())
                    .checksumAlgorithm(ChecksumAlgorithm.CRC32).checksumCRC32(part.crc32()),
                    AsyncRequestBody.fromRemainingByteBuffersUnsafe(part.slices()));
            requests.add(request);
            CompletableFuture<CompletedPart> response = request.thenApply(r -> CompletedPart.builder()
                    .partNumber(part.number()).eTag(r.eTag()).checksumCRC32(r.checksumCRC32()).build());
            response.whenComplete((ok, e) -> {
                if (e != null) {
                    fail(e);
                }
            });
            sent.add(response);
            CompletableFuture.allOf(hashed, response).whenComplete((ok, e) -> release(part));
        }

        private void release(Part part) {
            if (failure.get() == null) {
                spare.offerFirst(part.buffer());
            }
            room.release((int) (part.cost() >> 10));
        }

        private ArchiveStorage.Uploaded done() throws Exception {
            await(hashed);
            return new ArchiveStorage.Uploaded(bytes, Hashes.hex(sha256.digest()));
        }

        private <T> T await(CompletableFuture<T> future) throws Exception {
            try {
                return future.get(Math.max(1, deadline.remaining().toMillis()), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                expire();
                throw e;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }

        private void check() throws Failed {
            if (failure.get() != null) {
                throw new Failed(failure.get(), timedOut, false);
            }
        }

        void expire() {
            if (!finished) {
                timedOut = true;
                fail(new TimeoutException("the worker's time limit"));
            }
        }

        /** The first failure wins: the source is ended (a blocked read returns) and the parts in flight cancelled. */
        void fail(Throwable e) {
            if (failure.compareAndSet(null, e)) {
                onFailure.run();
                requests.forEach(r -> r.cancel(true));
            }
        }

        private Failed undo(Throwable e) {
            fail(e instanceof Failed f ? f.getCause() : e);
            if (uploadId != null) {
                try {
                    s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)).get(10,
                            TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // the caller looks for leftovers too, and the bucket's lifecycle rule aborts what both missed
                }
            }
            return new Failed(failure.get(), timedOut, interrupted);
        }
    }
}
