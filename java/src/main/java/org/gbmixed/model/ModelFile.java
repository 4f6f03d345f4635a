package org.gbmixed.model;

import org.gbmixed.base.Version;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A saved model: the engine's model bytes ({@link Model#toBytes()}) and named metadata entries, in one versioned
 * file. R's {@code gbmixed_save()} writes one, with the R side of the fit (formula, factor levels, cluster
 * names) as the entry {@code "r.gbmixed"}; a Java caller reads it, predicts with {@link #model()}, and writes it
 * back byte for byte ({@link #toBytes()} of a file read is the bytes read). The layout (big-endian, as
 * {@link DataOutputStream} writes):
 * <pre>
 *   int     magic 0x47424D46 ("GBMF")
 *   int     file version (1)
 *   int     n, then n bytes: the model (Model.toBytes: its own magic "GBMX" and model format)
 *   int     k, the number of metadata entries, then k times:
 *             UTF key (DataOutput.writeUTF), int length, length bytes
 * </pre>
 * A file of a newer version, or a model of a newer format, is refused with a message saying which version
 * this engine reads.
 */
public final class ModelFile {
    /** The file version this engine writes, and the newest it reads. */
    public static final int VERSION = 1;
    private static final int MAGIC = 0x47424D46;   // "GBMF"

    private final Model model;
    private final byte[] modelBytes;
    private final LinkedHashMap<String, byte[]> meta;

    /**
     * A file holding {@code model} and no metadata.
     *
     * @param model the model to save
     */
    public ModelFile(Model model) {
        this(model, model.toBytes(), new LinkedHashMap<>());
    }

    private ModelFile(Model model, byte[] modelBytes, LinkedHashMap<String, byte[]> meta) {
        if (model == null) throw new IllegalArgumentException("model: must not be null");
        this.model = model;
        this.modelBytes = modelBytes;
        this.meta = meta;
    }

    /**
     * The model (predictions, variance components, BLUPs; see {@link Model}).
     *
     * @return the model
     */
    public Model model() { return model; }

    /**
     * This file with entry {@code key} set to {@code value} (replacing an entry of that key, in its place).
     *
     * @param key the entry's name, non-empty, at most 65535 bytes in UTF-8
     * @param value the entry's bytes (copied)
     * @return a new file; this one is unchanged
     */
    public ModelFile with(String key, byte[] value) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("key: must be a non-empty string");
        if (key.getBytes(StandardCharsets.UTF_8).length > 65535) throw new IllegalArgumentException("key: longer than 65535 bytes");
        if (value == null) throw new IllegalArgumentException("value of " + key + ": must not be null");
        LinkedHashMap<String, byte[]> m = new LinkedHashMap<>(meta);
        m.put(key, value.clone());
        return new ModelFile(model, modelBytes, m);
    }

    /**
     * This file with entry {@code key} set to the UTF-8 bytes of {@code value}.
     *
     * @param key the entry's name
     * @param value the entry's text
     * @return a new file; this one is unchanged
     */
    public ModelFile with(String key, String value) {
        if (value == null) throw new IllegalArgumentException("value of " + key + ": must not be null");
        return with(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * An entry's bytes.
     *
     * @param key the entry's name
     * @return a copy of its bytes, or null if the file has no such entry
     */
    public byte[] get(String key) {
        byte[] v = meta.get(key);
        return v == null ? null : v.clone();
    }

    /**
     * An entry's text.
     *
     * @param key the entry's name
     * @return its bytes read as UTF-8, or null if the file has no such entry
     */
    public String getString(String key) {
        byte[] v = meta.get(key);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    /**
     * The entries' names.
     *
     * @return the keys, in the order they were added
     */
    public String[] keys() { return meta.keySet().toArray(new String[0]); }

    /**
     * The file's bytes.
     *
     * @return the bytes, in the layout above
     */
    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream(modelBytes.length + 64);
            DataOutputStream out = new DataOutputStream(bos);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(modelBytes.length);
            out.write(modelBytes);
            out.writeInt(meta.size());
            for (Map.Entry<String, byte[]> e : meta.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
            out.flush();
            return bos.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("model file: writing failed: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a file's bytes.
     *
     * @param bytes the file's bytes
     * @return the file
     * @throws IllegalArgumentException for other files, newer versions or model formats, and truncated files
     */
    public static ModelFile fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length < 8) throw new IllegalArgumentException("model file: not a gbmixed model file (too short)");
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != MAGIC) throw new IllegalArgumentException("model file: not a gbmixed model file (bad magic)");
            int version = in.readInt();
            if (version > VERSION)
                throw new IllegalArgumentException("model file: version " + version + " was written by a newer gbmixed; this one ("
                        + Version.engine() + ") reads versions up to " + VERSION + ": update gbmixed to read it");
            if (version < 1) throw new IllegalArgumentException("model file: bad version " + version);
            int n = in.readInt();
            if (n < 8 || n > bytes.length - 16) throw new IOException("bad model length " + n);
            byte[] mb = new byte[n];
            in.readFully(mb);
            Model model = Model.fromBytes(mb);
            int k = in.readInt();
            if (k < 0 || k > 1 << 20) throw new IOException("bad entry count " + k);
            LinkedHashMap<String, byte[]> meta = new LinkedHashMap<>();
            for (int i = 0; i < k; i++) {
                String key = in.readUTF();
                int len = in.readInt();
                if (len < 0 || len > bytes.length) throw new IOException("bad length " + len + " of entry " + key);
                byte[] v = new byte[len];
                in.readFully(v);
                meta.put(key, v);
            }
            if (in.available() > 0) throw new IOException(in.available() + " bytes after the last entry");
            return new ModelFile(model, mb, meta);
        } catch (IOException e) {
            throw new IllegalArgumentException("model file: corrupt or truncated (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Writes the file.
     *
     * @param path where to write it
     * @throws IOException when the file cannot be written
     */
    public void write(String path) throws IOException {
        Files.write(Path.of(path), toBytes());
    }

    /**
     * Reads a file.
     *
     * @param path the file to read
     * @return the file
     * @throws IOException when it cannot be read
     * @throws IllegalArgumentException when it is not a model file, is truncated or of a newer version
     */
    public static ModelFile read(String path) throws IOException {
        return fromBytes(Files.readAllBytes(Path.of(path)));
    }

    @Override
    public String toString() {
        return "ModelFile(version " + VERSION + ", " + model.variant() + ", " + modelBytes.length + " model bytes, entries "
                + Arrays.toString(keys()) + ")";
    }
}
