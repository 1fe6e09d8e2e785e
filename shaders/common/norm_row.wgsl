// A normalized row's element type for layer_norm.wgsl and rms_norm.wgsl: with VEC4 (N % 4 == 0)
// quads (a quarter of the loads, each a gather on the CPU emulations), else scalars. The row is
// W elements of type V; `total(v)` sums one element's lanes.
#ifdef VEC4
alias V = vec4<f32>;
const W: u32 = N / 4u;
fn total(v: V) -> f32 {
    return v.x + v.y + v.z + v.w;
}
#else
alias V = f32;
const W: u32 = N;
fn total(v: V) -> f32 {
    return v;
}
#endif
