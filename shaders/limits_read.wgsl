// Streaming-read bandwidth of the adapter (the device limit decode is measured against; the same
// kernel as ../shared/peers/native-gpu/shaders/read_bw.wgsl). Each workgroup sums one contiguous
// chunk with vec4<u32> loads and writes one u32 (the host checks the sum, so nothing is skipped).
// Default: consecutive invocations read consecutive vec4s (GPU-friendly); CONTIG: each invocation
// reads its own contiguous run (CPU-emulation-friendly). The host reports the faster.
@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
var<workgroup> partial: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let chunk = arrayLength(&src) / nwg.x; // the host makes the length a multiple of 256 · workgroups
    var acc = vec4<u32>(0u);
#ifdef CONTIG
    let per = chunk / 256u;
    let base = wid.x * chunk + lid * per;
    for (var k = 0u; k < per; k++) {
        acc += src[base + k];
    }
#else
    let base = wid.x * chunk;
    for (var k = lid; k < chunk; k += 256u) {
        acc += src[base + k];
    }
#endif
    partial[lid] = acc.x + acc.y + acc.z + acc.w;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if lid < s {
            partial[lid] += partial[lid + s];
        }
        workgroupBarrier();
    }
    if lid == 0u {
        dst[wid.x] = partial[0];
    }
}
