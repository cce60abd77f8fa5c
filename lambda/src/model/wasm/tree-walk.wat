;; The inner walk of sklearn's tree ensembles, by hand in WebAssembly's text format.
;; Assembled at build time (npm run build:wasm, with wabt) into tree-walk.wasm.ts.
;;
;; For each tree in turn, every row walks it, four rows in flight so that their node loads
;; overlap, each step branch-free (select): an exact port of the JavaScript walk it replaces.
;;
;; Memory, laid out by packed-trees.ts (byte offsets, little-endian):
;;   node, 24 bytes:  i32 left, i32 right   byte offsets of the children; a leaf points to itself
;;                    i32 feature           the column it splits on; -1 at a leaf
;;                    i32 slot              byte offset, in a row, of the slot of the feature's group;
;;                                          its top bit: where the feature goes when the row has no
;;                                          entry for it (1: left), decided at load from the value
;;                                          an absent column holds (0, or what a scaler made of 0)
;;                    f64 threshold         goes left when x <= threshold; at a leaf, its value
;;   tree, 8 bytes:   i32 root              byte offset of its first node
;;                    i32 depth             steps from the root to its deepest leaf
;;   row, 16 bytes a slot, one slot per group of columns (one feature's one-hots, or one column):
;;                    i32 column, i32 (unused), f64 value
;;                    the row's entry of that group; an unused slot's column is -2, never a feature
;;   out:             f64 per row, to which each tree's leaf value (times scale) is added
(module
  (memory (export "memory") 1)

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_u (local.get $a) (local.get $b))))

  ;; out[r] += scale * leaf(tree, row r), tree by tree in order, for rows 0 .. count - 1 of
  ;; rowBytes bytes each.
  (func (export "accumulate")
    (param $trees i32) (param $treeCount i32) (param $rows i32) (param $count i32) (param $out i32) (param $scale f64)
    (param $rowBytes i32)
    (local $t i32) (local $tree i32) (local $root i32) (local $depth i32) (local $step i32)
    (local $r i32) (local $last i32) (local $at i32) (local $slot i32) (local $in i32)
    (local $arow i32) (local $anode i32) (local $brow i32) (local $bnode i32)
    (local $crow i32) (local $cnode i32) (local $drow i32) (local $dnode i32)
    (if (i32.or (i32.eqz (local.get $count)) (i32.eqz (local.get $treeCount))) (then (return)))
    (local.set $last (i32.sub (local.get $count) (i32.const 1)))
    (loop $each_tree
      (local.set $tree (i32.add (local.get $trees) (i32.shl (local.get $t) (i32.const 3))))
      (local.set $root (i32.load (local.get $tree)))
      (local.set $depth (i32.load offset=4 (local.get $tree)))
      (local.set $r (i32.const 0))
      (loop $each_four_rows
        ;; Lanes r .. r + 3; past the last row, a lane repeats it and its result is not added.
        (local.set $arow (i32.add (local.get $rows) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $anode (local.get $root))
        (local.set $brow (i32.add (local.get $rows) (i32.mul (call $min (i32.add (local.get $r) (i32.const 1)) (local.get $last)) (local.get $rowBytes))))
        (local.set $bnode (local.get $root))
        (local.set $crow (i32.add (local.get $rows) (i32.mul (call $min (i32.add (local.get $r) (i32.const 2)) (local.get $last)) (local.get $rowBytes))))
        (local.set $cnode (local.get $root))
        (local.set $drow (i32.add (local.get $rows) (i32.mul (call $min (i32.add (local.get $r) (i32.const 3)) (local.get $last)) (local.get $rowBytes))))
        (local.set $dnode (local.get $root))
        (local.set $step (local.get $depth))
        (block $walked
          (loop $walk
            (br_if $walked (i32.eqz (local.get $step)))
            ;; x = the row's value of the node's feature when its slot holds that column; left when x <= threshold,
            ;; else (no entry for the feature) the node's absent direction.
            (local.set $slot (i32.load offset=12 (local.get $anode)))
            (local.set $in (i32.add (local.get $arow) (i32.and (local.get $slot) (i32.const 0x7fffffff))))
            (local.set $anode
              (select
                (i32.load (local.get $anode))
                (i32.load offset=4 (local.get $anode))
                (select
                  (f64.le (f64.load offset=8 (local.get $in)) (f64.load offset=16 (local.get $anode)))
                  (i32.shr_u (local.get $slot) (i32.const 31))
                  (i32.eq (i32.load (local.get $in)) (i32.load offset=8 (local.get $anode))))))
            ;; x = the row's value of the node's feature when its slot holds that column; left when x <= threshold,
            ;; else (no entry for the feature) the node's absent direction.
            (local.set $slot (i32.load offset=12 (local.get $bnode)))
            (local.set $in (i32.add (local.get $brow) (i32.and (local.get $slot) (i32.const 0x7fffffff))))
            (local.set $bnode
              (select
                (i32.load (local.get $bnode))
                (i32.load offset=4 (local.get $bnode))
                (select
                  (f64.le (f64.load offset=8 (local.get $in)) (f64.load offset=16 (local.get $bnode)))
                  (i32.shr_u (local.get $slot) (i32.const 31))
                  (i32.eq (i32.load (local.get $in)) (i32.load offset=8 (local.get $bnode))))))
            ;; x = the row's value of the node's feature when its slot holds that column; left when x <= threshold,
            ;; else (no entry for the feature) the node's absent direction.
            (local.set $slot (i32.load offset=12 (local.get $cnode)))
            (local.set $in (i32.add (local.get $crow) (i32.and (local.get $slot) (i32.const 0x7fffffff))))
            (local.set $cnode
              (select
                (i32.load (local.get $cnode))
                (i32.load offset=4 (local.get $cnode))
                (select
                  (f64.le (f64.load offset=8 (local.get $in)) (f64.load offset=16 (local.get $cnode)))
                  (i32.shr_u (local.get $slot) (i32.const 31))
                  (i32.eq (i32.load (local.get $in)) (i32.load offset=8 (local.get $cnode))))))
            ;; x = the row's value of the node's feature when its slot holds that column; left when x <= threshold,
            ;; else (no entry for the feature) the node's absent direction.
            (local.set $slot (i32.load offset=12 (local.get $dnode)))
            (local.set $in (i32.add (local.get $drow) (i32.and (local.get $slot) (i32.const 0x7fffffff))))
            (local.set $dnode
              (select
                (i32.load (local.get $dnode))
                (i32.load offset=4 (local.get $dnode))
                (select
                  (f64.le (f64.load offset=8 (local.get $in)) (f64.load offset=16 (local.get $dnode)))
                  (i32.shr_u (local.get $slot) (i32.const 31))
                  (i32.eq (i32.load (local.get $in)) (i32.load offset=8 (local.get $dnode))))))
            (local.set $step (i32.sub (local.get $step) (i32.const 1)))
            (br $walk)))
        (local.set $at (i32.add (local.get $out) (i32.shl (i32.add (local.get $r) (i32.const 0)) (i32.const 3))))
        (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (f64.mul (local.get $scale) (f64.load offset=16 (local.get $anode)))))
        (if (i32.le_u (i32.add (local.get $r) (i32.const 1)) (local.get $last))
          (then
            (local.set $at (i32.add (local.get $out) (i32.shl (i32.add (local.get $r) (i32.const 1)) (i32.const 3))))
            (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (f64.mul (local.get $scale) (f64.load offset=16 (local.get $bnode)))))))
        (if (i32.le_u (i32.add (local.get $r) (i32.const 2)) (local.get $last))
          (then
            (local.set $at (i32.add (local.get $out) (i32.shl (i32.add (local.get $r) (i32.const 2)) (i32.const 3))))
            (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (f64.mul (local.get $scale) (f64.load offset=16 (local.get $cnode)))))))
        (if (i32.le_u (i32.add (local.get $r) (i32.const 3)) (local.get $last))
          (then
            (local.set $at (i32.add (local.get $out) (i32.shl (i32.add (local.get $r) (i32.const 3)) (i32.const 3))))
            (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (f64.mul (local.get $scale) (f64.load offset=16 (local.get $dnode)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br_if $each_four_rows (i32.le_u (local.get $r) (local.get $last))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $each_tree (i32.lt_u (local.get $t) (local.get $treeCount))))))
