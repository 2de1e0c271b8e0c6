"""consult.forms"""
