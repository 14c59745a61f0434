graph [
  comment "Tiny GML fixture: a 4-cycle 10-20-30-40 plus the chord 10-30. Two nodes share a label, so nodes are identified by id."
  directed 0
  node [ id 10 label "Ann" ]
  node [ id 20 label "Bob" ]
  node [ id 30 label "Ann" ]
  node [ id 40 label "Cem" ]
  edge [ source 10 target 20 ]
  edge [ source 20 target 30 ]
  edge [ source 30 target 40 ]
  edge [ source 40 target 10 ]
  edge [ source 10 target 30 ]
]
