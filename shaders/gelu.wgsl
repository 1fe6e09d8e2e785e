// GELU, exact (erf) form (common/gelu.wgsl), elementwise: out = gelu(x). The matrix kernels
// fuse it into their output instead (common/output.wgsl GELU); this kernel serves the rest.
// Bindings: 1 step · 2 x[T, F] · 3 out.  Dispatch: (ceil(F/4 / 64), T).  CPU reference: cpu::gelu.
#include "common/step.wgsl"
#include "common/gelu.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

const F4: u32 = F / 4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    if i >= F4 || t >= step.n_tokens {
        return;
    }
    let v = x[t * F4 + i];
    out[t * F4 + i] = gelu4(v);
}
