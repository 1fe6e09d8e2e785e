// f32 FMA throughput of the adapter (the device limit prefill is measured against; the same kernel
// as ../shared/peers/native-gpu/shaders/fma.wgsl): 8 independent vec4 FMA chains per invocation.
// FLOP = invocations · iters · 8 chains · 4 lanes · 2.
struct Params { iters: u32, pad0: u32, pad1: u32, pad2: u32 };
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let x = f32(gid.x) * 1e-7;
    var a0 = vec4<f32>(x, x + 0.1, x + 0.2, x + 0.3);
    var a1 = a0 + vec4<f32>(1.0);
    var a2 = a0 + vec4<f32>(2.0);
    var a3 = a0 + vec4<f32>(3.0);
    var a4 = a0 + vec4<f32>(4.0);
    var a5 = a0 + vec4<f32>(5.0);
    var a6 = a0 + vec4<f32>(6.0);
    var a7 = a0 + vec4<f32>(7.0);
    let b = vec4<f32>(0.999999);
    let c = vec4<f32>(1e-6);
    for (var i = 0u; i < p.iters; i++) {
        a0 = fma(a0, b, c); a1 = fma(a1, b, c); a2 = fma(a2, b, c); a3 = fma(a3, b, c);
        a4 = fma(a4, b, c); a5 = fma(a5, b, c); a6 = fma(a6, b, c); a7 = fma(a7, b, c);
    }
    out[gid.x] = dot(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7, vec4<f32>(1.0));
}
