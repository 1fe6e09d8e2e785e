// Eight quads (a 32-value block, or a 32-wide head row) that the lanes of one subgroup loaded
// between them, handed to every lane with `subgroupBroadcast`: with SG8 each lane loads one
// quad, with SG4 two. Used by common/x_block.wgsl (activation blocks) and attention_rows.wgsl
// (K and V rows of 32-wide heads).
#ifdef SG8
// Lane j's quad `a` as quad j of the block, in every lane.
fn share_block(a: vec4<f32>) -> array<vec4<f32>, 8> {
    return array<vec4<f32>, 8>(subgroupBroadcast(a, 0u), subgroupBroadcast(a, 1u), subgroupBroadcast(a, 2u), subgroupBroadcast(a, 3u),
                               subgroupBroadcast(a, 4u), subgroupBroadcast(a, 5u), subgroupBroadcast(a, 6u), subgroupBroadcast(a, 7u));
}
#endif
#ifdef SG4
// Lane j's quads `a`, `b` as quads j and 4 + j of the block, in every lane.
fn share_block(a: vec4<f32>, b: vec4<f32>) -> array<vec4<f32>, 8> {
    return array<vec4<f32>, 8>(subgroupBroadcast(a, 0u), subgroupBroadcast(a, 1u), subgroupBroadcast(a, 2u), subgroupBroadcast(a, 3u),
                               subgroupBroadcast(b, 0u), subgroupBroadcast(b, 1u), subgroupBroadcast(b, 2u), subgroupBroadcast(b, 3u));
}
#endif
